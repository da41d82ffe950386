/**
 * A bucket's ObjectCreated notification, for `lambda-kit dev`: a stand-in such as moto sends no
 * notifications, and a real bucket sends them to the deployed function, so dev lists the bucket
 * instead. The first listing is the baseline; each object that appears or is put again after it
 * is one event, sent as S3 sends it: one record, an asynchronous invoke, no batch.
 */
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../../errors.js';
import { quoted, visible } from '../../text/terminal-text.js';
import { NewObjectTracker } from './new-objects.js';
import { s3ObjectCreatedEvent, s3Sequencer, type ListedObject } from './s3-event.js';
import { Caller, clientSettings, pause, plural, regionOf, Stopped, type SourceOptions, type SourceTiming } from './source-runtime.js';

/** `arn:aws:s3:::photos` or `photos`; S3's rules for a bucket name, loosely (moto and older buckets allow more). */
function bucketOf(target: string): string {
  const name = target.startsWith('arn:') ? /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(target)?.[1] : target;
  if (name === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/.test(name)) {
    throw new UserError(`s3: ${quoted(target)} is not a bucket name or ARN (arn:aws:s3:::<name>)`);
  }
  return name;
}

export async function runS3Source(options: SourceOptions, timing: SourceTiming): Promise<void> {
  const { signal, log } = options;
  const bucket = bucketOf(options.target);
  const region = regionOf(options.env);
  // A bucket in another region than the environment's answers with a redirect, which the client then follows.
  const s3 = new S3Client({ ...clientSettings(options.env, 'S3'), followRegionRedirects: true });
  const caller = new Caller('s3', signal, log, timing);
  const tracker = new NewObjectTracker();
  const { prefix = '', suffix = '' } = options.keyFilter ?? {};
  const matches = (key: string) => key.startsWith(prefix) && key.endsWith(suffix) && key.length >= prefix.length + suffix.length;
  let puts = 0;

  /** Every page of the listing, each object shown to the tracker; a failure part way forgets the listing. */
  const list = async (): Promise<number> => {
    let count = 0;
    let token: string | undefined;
    try {
      do {
        const page = await caller.call('ListObjectsV2', timing.callGraceMs, (abortSignal) =>
          s3.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal }),
        );
        for (const object of page.Contents ?? []) {
          count++;
          tracker.see({
            key: object.Key ?? '',
            size: object.Size ?? 0,
            eTag: object.ETag ?? '',
            lastModified: object.LastModified ?? new Date(0),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      tracker.abandonListing();
      throw error;
    }
    return count;
  };

  try {
    const existing = await list();
    tracker.endListing();
    const filter = [prefix && `starting ${quoted(prefix)}`, suffix && `ending ${quoted(suffix)}`].filter(Boolean).join(' and ');
    const each = filter ? `each new one ${filter}` : 'each new one';
    log(`s3: watching bucket ${bucket}: the ${plural(existing, 'object')} in it now send no event; ${each} sends ObjectCreated:Put`);
    while (!signal.aborted) {
      await pause(timing.idlePollMs, signal);
      if (signal.aborted) break;
      await list();
      for (const object of tracker.endListing()) if (matches(object.key)) await invokeFor(object);
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
  } finally {
    s3.destroy();
  }

  async function invokeFor(object: ListedObject): Promise<void> {
    const event = s3ObjectCreatedEvent(bucket, object, region, s3Sequencer(object.lastModified, puts++));
    const result = await options.invoke(event);
    const head = `s3: ObjectCreated:Put ${quoted(object.key, 120)} (${plural(object.size, 'byte')})`;
    // S3 invokes asynchronously: Lambda would retry a failed event twice more, over minutes; dev says so and moves on.
    log(result.ok ? `${head}: done` : `${head}: function error (${visible(result.error, 200)}); Lambda would retry it twice, dev does not`);
  }
}
