/**
 * Frames the gateway pushes to devices, and what a sender asks a gateway instance to deliver. On
 * the wire a delivery is the `gateway.deliver.<instance>` event (GatewayDelivery in
 * proto/anychat/gateway/v1/events.proto); platform/presence encodes and decodes it.
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
  /**
   * The same frame to these users too (a read fan-out group's message to its members): it is
   * carried and encoded once for all of them, not once per recipient.
   */
  alsoUserIds?: string[];
  /**
   * Position of the frame (a NEW_MESSAGE) in its read fan-out group's stream, the group's `seq`:
   * devices receive a group's frames strictly in that order, outside the timeline.
   */
  groupSeq?: number;
}

/** What a gateway instance's hub delivers to its connections (decoded from a GatewayDelivery event). */
export interface GatewayDeliveryEvent {
  deliveries: Delivery[];
}
