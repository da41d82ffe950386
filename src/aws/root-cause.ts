/**
 * Why a deploy or delete failed, from its events: the first resource that failed for a reason
 * of its own (later ones fail as "Resource creation cancelled" because of it), and a one-line
 * hint for the reasons people meet most.
 */
import type { StackEvent } from '@aws-sdk/client-cloudformation';

export interface RootCause {
  logicalId: string;
  type: string;
  status: string;
  reason: string;
  hint: string | undefined;
}

/** Failures that only follow another one. */
const CONSEQUENTIAL = [
  /^Resource (creation|update) cancelled/i,
  /^The following resource\(s\) failed to/i,
  /^Embedded stack .* was not successfully/i,
];

export function rootCause(events: readonly StackEvent[]): RootCause | undefined {
  const failed = events.filter((e) => e.ResourceStatus?.endsWith('_FAILED'));
  const first = failed.find((e) => !CONSEQUENTIAL.some((re) => re.test(e.ResourceStatusReason ?? ''))) ?? failed[0];
  if (!first) return undefined;
  const reason = first.ResourceStatusReason?.trim() || 'no reason given';
  return {
    logicalId: first.LogicalResourceId ?? '?',
    type: first.ResourceType ?? '?',
    status: first.ResourceStatus!,
    reason,
    hint: hintFor(reason, first),
  };
}

/** One line that helps, for failures with a known fix. */
export function hintFor(
  reason: string,
  event: Pick<StackEvent, 'ResourceType' | 'LogicalResourceId' | 'PhysicalResourceId'> = {},
): string | undefined {
  const type = event.ResourceType ?? '';
  if (/DeletionProtectionEnabled|deletion protection/i.test(reason)) {
    // Each generated table has a parameter named after it: ResultsTable's is ResultsTableDeletionProtection.
    const table = event.LogicalResourceId ?? 'ResultsTable';
    return type === 'AWS::DynamoDB::Table' || /table/i.test(reason)
      ? `The table has deletion protection on (the template default). Turn it off first: lambda-kit deploy --parameter-overrides ${table}DeletionProtection=false, then delete again.`
      : 'Turn deletion protection off on the resource, then delete again.';
  }
  if (/bucket .*not empty|BucketNotEmpty/i.test(reason)) {
    const bucket = event.PhysicalResourceId ? `s3://${event.PhysicalResourceId}` : 's3://<bucket>';
    return `CloudFormation deletes only empty buckets: empty it (aws s3 rm ${bucket} --recursive, and its old versions if versioning is on), then delete again.`;
  }
  if (/already exists|bucket name is not available|AlreadyExists/i.test(reason)) {
    return 'A resource with that name exists outside this stack (another stack, or made by hand): delete it, or give this one another name.';
  }
  if (/not authorized to perform|AccessDenied|is not authorized/i.test(reason)) {
    return 'The identity deploying lacks that permission: add it to its IAM policy (the action is named above).';
  }
  if (/Requires capabilities/i.test(reason)) return 'Add --capabilities CAPABILITY_IAM to samconfig.toml (sam deploy --guided sets it).';
  if (/UnreservedConcurrentExecution/i.test(reason)) {
    return 'The account has too little Lambda concurrency to reserve some: deploy with --parameter-overrides ReservedConcurrency= (empty: unreserved), or ask AWS for a higher limit.';
  }
  if (/S3 Error Code: (NoSuchBucket|NoSuchKey)|Error occurred while GetObject/i.test(reason)) {
    return "The function's code is not where the template says: deploy with lambda-kit deploy (sam uploads it), not with a hand-edited CodeUri.";
  }
  if (/Unzipped size must be smaller/i.test(reason))
    return "The function is over Lambda's 250 MB unzipped limit: build in release mode, and check what the zip holds.";
  return undefined;
}
