/** WebSocket close codes of this protocol (4000–4999 are the application's). */
export const CloseCode = {
  HEARTBEAT_TIMEOUT: 4000,
  UNAUTHENTICATED: 4001,
  LOGGED_OUT: 4003,
  RATE_LIMITED: 4008,
  /** A newer connection of the same device (same deviceId) took over; the device stays online. */
  REPLACED: 4009,
  GOING_AWAY: 1001,
  /** The server could not set the connection up now (RFC 6455 "Try Again Later"); not the token's fault. */
  TRY_AGAIN_LATER: 1013,
} as const;
