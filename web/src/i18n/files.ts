/** Words of the files, voice notes and notifications screens, in English and Simplified Chinese. */
const en = {
  attachFile: 'Attach a file',
  download: 'Download',
  filePreview: '[File]',
  voicePreview: '[Voice]',
  voiceRecord: 'Record a voice note',
  voiceStop: 'Stop and send',
  voiceCancel: 'Cancel recording',
  voiceRecording: 'Recording {time}',
  voiceNote: 'Voice note',
  microphoneUnavailable: 'The microphone is not available: {reason}',
  uploadFailed: 'Upload failed: {reason}',
  notifications: 'Notifications',
  notificationsOn: 'Notifications on',
  notificationsUnsupported: 'This browser cannot receive push notifications.',
  notificationsDenied: 'Notifications are blocked for this site; allow them in the browser’s site settings.',
  notificationsFailed: 'Notifications could not be turned on: {reason}',
  notificationsUnreachable:
    'Notifications could not be turned on: the browser’s push service cannot be reached from here.',
} as const;

export const fileWords = {
  en,
  zh: {
    attachFile: '发送文件',
    download: '下载',
    filePreview: '[文件]',
    voicePreview: '[语音]',
    voiceRecord: '录制语音消息',
    voiceStop: '停止并发送',
    voiceCancel: '取消录音',
    voiceRecording: '录音中 {time}',
    voiceNote: '语音消息',
    microphoneUnavailable: '无法使用麦克风：{reason}',
    uploadFailed: '上传失败：{reason}',
    notifications: '通知',
    notificationsOn: '通知已开启',
    notificationsUnsupported: '此浏览器无法接收推送通知。',
    notificationsDenied: '此网站的通知已被屏蔽，请在浏览器的网站设置中允许。',
    notificationsFailed: '无法开启通知：{reason}',
    notificationsUnreachable: '无法开启通知：无法连接浏览器的推送服务。',
  } satisfies Record<keyof typeof en, string>,
};
