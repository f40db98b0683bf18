/**
 * The file behind an avatar: an avatar set from an upload is stored as the file's own route,
 * `<public URL>/api/v1/files/<id>`, which signs a fresh download URL for whoever may see it.
 * Any other URL is not shown (the page's CSP loads images from this origin only).
 */
export function avatarFileId(avatar: string | null | undefined): string | null {
  return avatar?.match(/\/api\/v1\/files\/(\d+)$/)?.[1] ?? null;
}
