/** Who is calling, built once per request by the auth interceptor. */
export interface Principal {
  readonly clientId: string;
  readonly tenantId: string;
  /** Permission names granted to the caller (the table lives in auth/permissions.ts). */
  readonly permissions: ReadonlySet<string>;
  /** The caller's tenant and its active descendants: everything this caller may read. */
  readonly readableTenantIds: readonly string[];
  /** The token's `jti`, for logs. */
  readonly tokenId: string;
}
