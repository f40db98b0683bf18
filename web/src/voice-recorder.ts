/**
 * Records a voice note from the microphone with MediaRecorder. Opus in WebM (Chromium) or Ogg
 * (Firefox), both types the file service takes as voice. Chromium's MediaRecorder writes WebM with
 * no duration in its header (it streams, so it cannot know it when the header goes out): the
 * server could not read the length, and an <audio> would show none (Infinity) until played to the
 * end. The duration measured here is written into the header (fix-webm-duration, loaded only when
 * a recording is made, so it costs the first page nothing).
 */

const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg'];

export interface Recording {
  file: File;
  seconds: number;
}

export class VoiceRecorder {
  readonly #stream: MediaStream;
  readonly #recorder: MediaRecorder;
  readonly #chunks: Blob[] = [];
  readonly #startedAt = performance.now();
  readonly #stopped: Promise<void>;

  private constructor(stream: MediaStream) {
    this.#stream = stream;
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    this.#recorder = new MediaRecorder(stream, mimeType ? { mimeType } : {});
    this.#recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) this.#chunks.push(event.data);
    });
    this.#stopped = new Promise((resolve) => this.#recorder.addEventListener('stop', () => resolve()));
    this.#recorder.start();
  }

  /** Asks for the microphone (the browser may ask the user) and starts recording. */
  static async start(): Promise<VoiceRecorder> {
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined')
      throw new Error('this browser cannot record audio');
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    return new VoiceRecorder(stream);
  }

  /** Seconds since recording started. */
  get elapsed(): number {
    return (performance.now() - this.#startedAt) / 1000;
  }

  /** Stops, releases the microphone, and gives the recording with its duration in its header. */
  async stop(): Promise<Recording> {
    const seconds = this.elapsed;
    this.#recorder.stop();
    await this.#stopped;
    this.#release();
    const type = (this.#recorder.mimeType || 'audio/webm').split(';')[0]!;
    let blob = new Blob(this.#chunks, { type });
    if (type.endsWith('/webm')) {
      const { default: fixWebmDuration } = await import('fix-webm-duration');
      blob = await fixWebmDuration(blob, seconds * 1000, { logger: false });
    }
    const extension = type.endsWith('/ogg') ? 'ogg' : 'webm';
    return { file: new File([blob], `voice-${Date.now()}.${extension}`, { type }), seconds };
  }

  /** Stops without keeping anything. */
  cancel(): void {
    if (this.#recorder.state !== 'inactive') this.#recorder.stop();
    this.#release();
  }

  #release() {
    for (const track of this.#stream.getTracks()) track.stop();
  }
}
