import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed URL of the local store allows: one method on one object until a time. */
export interface SignedRequest {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  /** Unix seconds. */
  expires: number;
  /** Response headers the URL fixes (GET), as S3's response-* parameters do. */
  contentType?: string | undefined;
  contentDisposition?: string | undefined;
}

/**
 * HMAC-SHA256 signatures of the local store's URLs. Every part the URL carries is signed, so a
 * holder can change neither the object, the method, the expiry nor the headers it is served with.
 */
export class UrlSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  sign(request: SignedRequest): string {
    return createHmac('sha256', this.#secret)
      .update(
        JSON.stringify([
          request.method,
          request.bucket,
          request.key,
          request.expires,
          request.contentType ?? '',
          request.contentDisposition ?? '',
        ]),
      )
      .digest('base64url');
  }

  verify(request: SignedRequest, signature: string): boolean {
    const expected = Buffer.from(this.sign(request));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
