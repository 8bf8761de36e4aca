import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CaptureRecord, capturePrefix, type FeedbackRecord, feedbackPrefix } from '../../contract/capture';
import { captureFileLine } from '../monitoring/capture-record';

/**
 * The local twin's capture store: records appended as JSON lines to files under a folder, in the same layout the
 * capture writer gives the capture bucket (contract/capture.ts), so `npm run drift` and a retraining script read
 * either the same way. One file per process and hour: `<prefix>/local-<pid>-<random>.jsonl`.
 *
 * Writing never holds up an answer: a record is queued, and the queue is appended to its files in the background,
 * one append per file and batch, in order.
 */
export class CaptureFolder {
  private readonly writer = `local-${process.pid}-${randomBytes(4).toString('hex')}`;
  private queued = new Map<string, string[]>();
  private writing: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(
    readonly folder: string,
    private readonly warn: (line: string) => void = console.warn,
  ) {}

  writeCapture(record: CaptureRecord): void {
    this.enqueue(capturePrefix(record.model, record.version, new Date(record.time)), captureFileLine(record));
  }

  writeFeedback(record: FeedbackRecord): void {
    this.enqueue(feedbackPrefix(record.model, new Date(record.time)), JSON.stringify(record));
  }

  /** Resolves once every record queued so far is in its file. */
  async flush(): Promise<void> {
    if (this.queued.size > 0) this.startWriting();
    await this.writing;
  }

  private enqueue(prefix: string, line: string): void {
    const file = path.join(this.folder, prefix, `${this.writer}.jsonl`);
    const lines = this.queued.get(file);
    if (lines === undefined) this.queued.set(file, [line]);
    else lines.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.startWriting());
  }

  private startWriting(): void {
    this.scheduled = false;
    const batch = this.queued;
    if (batch.size === 0) return;
    this.queued = new Map();
    this.writing = this.writing.then(() => this.append(batch));
  }

  private async append(batch: ReadonlyMap<string, readonly string[]>): Promise<void> {
    for (const [file, lines] of batch) {
      try {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await fs.promises.appendFile(file, `${lines.join('\n')}\n`);
      } catch (error) {
        // The answers went out already; losing records is worth a line, not a failed server.
        this.warn(`capture: ${lines.length} record(s) not written to ${file}: ${(error as Error).message}`);
      }
    }
  }
}
