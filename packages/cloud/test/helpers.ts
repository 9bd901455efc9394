/** The context an operator gives `cdk deploy`, as the tests give it. */
export const CONTEXT: Record<string, string> = {
  image: "registry.example.com/compliance/compliance-api:0.1.0",
  certificateArn:
    "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666",
  domainName: "compliance.example.com",
};
