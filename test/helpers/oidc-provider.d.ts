// oidc-provider ships no type declarations; the test helper uses a few of its calls.
declare module "oidc-provider";
