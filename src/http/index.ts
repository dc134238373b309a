export { CurrentAdmin, CurrentAuth, CurrentSession, OptionalSession } from './auth-context';
export { AcceptFormBody } from './form-body';
export { IdParam, parseId } from './id-param';
export { clearSiteCookies, docsSecurityHeaders, NoStore, noSniff, noStoreByDefault } from './response-headers';
export { PassportGuard, passportResponse } from './passport-guard';
export { fromTrustedOrigin, requestOrigin } from './request-origin';
export type { PassportRequest, PassportResponse } from './passport-guard';
export type {
  AdminAuth,
  ApiKeyAuth,
  AuthContext,
  AuthenticatedRequest,
  SessionAuth,
  SessionContext,
} from './auth-context';
export type { AdminScope } from './route-access';
export {
  ADMIN_SCOPE,
  ADMIN_SCOPES,
  AdminRoute,
  adminScopeOf,
  ALLOWS_API_KEY,
  AllowApiKey,
  AllowPendingDeletion,
  AllowUnverified,
  IS_PUBLIC,
  OPEN_DURING_DELETION,
  OPEN_TO_UNVERIFIED,
  Public,
  RequireStepUp,
  RequireVerifiedEmail,
  TOLERATES_DEAD_SESSION,
  ToleratesDeadSession,
  REQUIRES_STEP_UP,
  routeHas,
} from './route-access';
export {
  bearerOf,
  clearSessionCookie,
  readCookie,
  sendRotatedToken,
  sessionCookieName,
  setSessionCookie,
} from './session-cookie';
export type { UserView } from './user-view';
