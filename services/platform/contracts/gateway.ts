/**
 * Frames the gateway pushes to devices, and the per-instance topic it receives them on. A sender
 * routes a frame only to the gateway instances that hold the recipient's devices (presence
 * registry), never to every gateway.
 */
export interface ServerFrame {
  type: string;
  msgId?: string;
  timestamp?: number;
  data?: unknown;
  code?: number;
  message?: string;
}

export interface Delivery {
  userId: string;
  frame: ServerFrame;
  /** Position of this frame in the user's timeline: devices receive those strictly in order. */
  syncSeq?: number;
  /** Leave out this device (the one that caused the event and already has the answer). */
  excludeDeviceId?: string;
  /** Only these devices (e.g. FORCE_LOGOUT of one device). */
  onlyDeviceIds?: string[];
}

export interface GatewayDeliveryEvent {
  deliveries: Delivery[];
  /**
   * Broadcasts: append this notification to the timeline of every user connected to this instance
   * (the message service then pushes it back here), so online users get it before the walk over
   * all accounts reaches them. The same event id makes the walk skip them.
   */
  appendForConnected?: ConnectedUsersNotice;
}

export interface ConnectedUsersNotice {
  eventId: string;
  kind: string;
  payload: Record<string, unknown>;
}
