/** The local registry scripts/setup-registry.sh starts (test-only credentials). */
export const REGISTRY = {
  host: '127.0.0.1:5000',
  username: 'werker',
  password: 'werker-test-registry',
} as const;
