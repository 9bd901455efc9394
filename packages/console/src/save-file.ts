/** Hands a blob to the browser as a file to save under `name`. */
export function saveFile(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has read the URL once the click's download started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
