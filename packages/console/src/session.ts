/**
 * The token lives in sessionStorage: it survives a reload but not closing the tab, and it
 * is never written to disk by the console itself.
 */
const KEY = "compliance.token";

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    // Storage can be switched off by the browser's privacy settings: sign in each time.
    return null;
  }
}

export function saveToken(token: string) {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // See loadToken: the token then lasts as long as the page.
  }
}

export function clearToken() {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing was stored.
  }
}
