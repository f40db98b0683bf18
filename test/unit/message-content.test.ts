import { expect } from 'chai';
import { ContentValidator, searchTextOf } from '../../services/message/domain/content.ts';
import { previewOf } from '../../services/platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';

const MAX_TEXT = 10;
const validator = new ContentValidator(MAX_TEXT);

/** The §7 code a send of this content is refused with (undefined: accepted). */
function refusal(contentType: string, content: unknown): number | undefined {
  try {
    validator.parse(contentType, content);
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

function detail(contentType: string, content: unknown): string | undefined {
  try {
    validator.parse(contentType, content);
    return undefined;
  } catch (error) {
    return (error as AppError).detail;
  }
}

const URL = 'https://cdn.example.com/a.jpg';

describe('message content validation', () => {
  it('accepts one valid content of every type and hands back what is stored', () => {
    const valid: Record<string, unknown> = {
      text: 'hi 👩‍👩‍👧',
      image: { url: URL, thumbnail: URL, width: 640, height: 480, size: 1024 },
      video: { url: URL, duration: 12.5 },
      voice: { url: URL, duration: 600 },
      file: { url: URL, fileName: 'report.pdf', fileSize: 0, mimeType: 'application/pdf' },
      emoji: { url: URL, emojiId: 'e1' },
      card: { userId: '123456789', nickname: 'Bob', avatar: URL },
      location: { latitude: -90, longitude: 180, name: 'Pole' },
      merged: {
        title: 'chat',
        items: [{ senderName: 'Ann', contentType: 'text', preview: 'line 1\nline 2', timestamp: 1 }],
      },
      quote: { text: 'agreed', quote: { messageId: '42', preview: 'shall we?' } },
    };
    for (const [type, content] of Object.entries(valid))
      expect(validator.parse(type, content), type).to.deep.equal(content);
  });

  it('strips fields a type does not have', () => {
    expect(validator.parse('voice', { url: URL, duration: 3, extra: 'dropped' })).to.deep.equal({
      url: URL,
      duration: 3,
    });
  });

  it('refuses an unknown type with 50112 before looking at the content', () => {
    expect(refusal('sticker', 'anything')).to.equal(ErrorCode.MESSAGE_TYPE_UNSUPPORTED);
    expect(refusal('TEXT', 'hi')).to.equal(ErrorCode.MESSAGE_TYPE_UNSUPPORTED);
    expect(detail('sticker', undefined)).to.match(/contentType "sticker" is not one of text, image/);
  });

  it('refuses absent and blank content with 50109', () => {
    for (const content of [undefined, null, ''])
      expect(refusal('image', content), String(content)).to.equal(ErrorCode.MESSAGE_EMPTY);
    expect(refusal('text', ' \n\t ')).to.equal(ErrorCode.MESSAGE_EMPTY);
    expect(refusal('quote', { text: '   ', quote: { messageId: '1' } })).to.equal(ErrorCode.MESSAGE_EMPTY);
  });

  it('counts text length in characters, not UTF-16 units: 50110 past the limit', () => {
    expect(refusal('text', '😀'.repeat(MAX_TEXT))).to.equal(undefined);
    expect(refusal('text', 'a'.repeat(MAX_TEXT + 1))).to.equal(ErrorCode.MESSAGE_TOO_LONG);
    expect(refusal('quote', { text: 'b'.repeat(MAX_TEXT + 1), quote: { messageId: '1' } })).to.equal(
      ErrorCode.MESSAGE_TOO_LONG,
    );
  });

  it('refuses media URLs that are not http(s) with 50111, naming the field', () => {
    expect(refusal('image', { url: 'javascript:alert(1)' })).to.equal(ErrorCode.MESSAGE_BAD_URL);
    expect(refusal('video', { url: URL, thumbnail: 'file:///etc/passwd', duration: 1 })).to.equal(
      ErrorCode.MESSAGE_BAD_URL,
    );
    expect(detail('card', { userId: '1', avatar: 'not a url' })).to.equal(
      'content.avatar is not an http(s) URL',
    );
    expect(refusal('image', { url: 'http://example.com/x.png' })).to.equal(undefined);
  });

  it('refuses a wrong shape with 000001 and the path of the first fault', () => {
    expect(refusal('text', { text: 'hi' })).to.equal(ErrorCode.INVALID_PARAMS);
    expect(detail('voice', { url: URL, duration: 601 })).to.match(/^content\.duration: /);
    expect(detail('location', { latitude: 91, longitude: 0 })).to.match(/^content\.latitude: /);
    expect(detail('card', { userId: '0123' })).to.equal('content.userId: must be a numeric id string');
    // 19 digits pass the pattern but not the id range (a bigint column): refused, never a 500.
    expect(detail('card', { userId: '9999999999999999999' })).to.equal(
      'content.userId: is out of range for an id',
    );
    expect(detail('quote', { text: 'x', quote: { messageId: '9223372036854775808' } })).to.equal(
      'content.quote.messageId: is out of range for an id',
    );
    expect(detail('file', { url: URL, fileName: '', fileSize: 1 })).to.match(/^content\.fileName: /);
    expect(detail('image', { url: URL, width: -1 })).to.match(/^content\.width: /);
    expect(detail('merged', { title: 't', items: [] })).to.match(/^content\.items: /);
    expect(
      detail('merged', {
        title: 't',
        items: [{ senderName: 'A', contentType: 'sticker', preview: '', timestamp: 1 }],
      }),
    ).to.match(/^content\.items\.0\.contentType: /);
    expect(detail('quote', { text: 'x', quote: {} })).to.match(/^content\.quote\.messageId: /);
  });

  it('refuses names that hide or turn text around, but keeps them in message text', () => {
    const spoofed = 'invoice\u202Efdp.exe';
    expect(refusal('file', { url: URL, fileName: spoofed, fileSize: 1 })).to.equal(ErrorCode.INVALID_PARAMS);
    expect(refusal('card', { userId: '1', nickname: 'a\u200Bb' })).to.equal(ErrorCode.INVALID_PARAMS);
    expect(refusal('text', 'שלום \u200Fabc')).to.equal(undefined);
    expect(refusal('text', 'bad\u0000')).to.equal(ErrorCode.INVALID_PARAMS);
  });
});

describe('message previews and search text', () => {
  it('shortens text to 60 characters without splitting a character', () => {
    const preview = previewOf('text', '😀'.repeat(70));
    expect([...preview]).to.have.length(60);
    expect(preview).to.equal('😀'.repeat(60));
  });

  it('names the type of media and what a file or place is called', () => {
    expect(previewOf('image', { url: URL })).to.equal('[image]');
    expect(previewOf('file', { fileName: 'a.pdf' })).to.equal('[file] a.pdf');
    expect(previewOf('location', {})).to.equal('[location]');
    expect(previewOf('merged', { title: 'trip' })).to.equal('[chat history] trip');
    expect(previewOf('quote', { text: 'yes' })).to.equal('yes');
  });

  it('searches the words people wrote, not URLs', () => {
    expect(searchTextOf('image', { url: URL })).to.equal('');
    expect(searchTextOf('location', { name: 'Cafe', address: 'Main St' })).to.equal('Cafe Main St');
    expect(searchTextOf('merged', { title: 'T', items: [{ preview: 'a' }, { preview: 'b' }] })).to.equal(
      'T a b',
    );
    expect(searchTextOf('card', { userId: '1' })).to.equal('');
  });
});
