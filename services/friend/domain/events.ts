/** Notification kinds this service appends to users' timelines. */
export const FriendEvents = {
  requestReceived: 'friend.request.received',
  requestAccepted: 'friend.request.accepted',
  requestRejected: 'friend.request.rejected',
  added: 'friend.added',
  deleted: 'friend.deleted',
  updated: 'friend.updated',
  profileChanged: 'friend.profile.changed',
  categoryChanged: 'friend.category.changed',
  blacklistChanged: 'friend.blacklist.changed',
} as const;
