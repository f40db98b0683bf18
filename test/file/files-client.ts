/** File uploads and downloads as a client makes them, over real HTTP. */
import { createHash } from 'node:crypto';
import type { ApiClient, ApiResponse } from '../support/api-client.ts';

export interface FileView {
  fileId: string;
  fileName: string;
  size: number;
  mimeType: string;
  type: string;
  url: string;
  urlExpiresAt: string;
  thumbnail: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  expiresAt: string | null;
}

/** What `POST /files/upload/init` answers when the upload is to be sent in chunks. */
export interface Started {
  uploadId: string;
  fileId: string;
  chunkSize: number;
  totalChunks: number;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function envelope<T>(response: Response): Promise<ApiResponse<T>> {
  const text = await response.text();
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(text) };
  } catch {
    throw new Error(`answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
}

/** `POST /files/upload` with a form: the fields, then the file (sent with the type the client claims). */
export async function postForm<T>(
  api: ApiClient,
  path: string,
  token: string,
  fields: Record<string, string>,
  file: { bytes: Uint8Array; name: string; claimedType?: string },
): Promise<ApiResponse<T>> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append(
    'file',
    new Blob([new Uint8Array(file.bytes)], { type: file.claimedType ?? 'application/octet-stream' }),
    file.name,
  );
  return envelope<T>(
    await fetch(api.baseUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    }),
  );
}

export async function uploadSimple(
  api: ApiClient,
  token: string,
  type: string,
  file: { bytes: Uint8Array; name: string; claimedType?: string },
): Promise<ApiResponse<FileView>> {
  return postForm<FileView>(api, '/api/v1/files/upload', token, { type }, file);
}

export async function download(url: string, range?: string): Promise<{ response: Response; bytes: Buffer }> {
  const response = await fetch(url, range ? { headers: { Range: range } } : {});
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}
