/** The cookie of /api/limit: `<id>.<base64url HMAC-SHA256 of id>`, made by the bench runner. */
export const LIMIT_COOKIE = 'bench-limit';
/** Where /api/limit's plain hashes live; under the bench app's Redis prefix, so cleanup finds them. */
export const LIMIT_PREFIX = 'ruts-bench-http:limit:';
