/**
 * The SQS event Lambda's event source mapping sends, built from ReceiveMessage's messages, as
 * Lambda builds it (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): camelCase
 * fields, every system attribute, message attributes with base64 binary values.
 */
import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';

export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsEventMessageAttribute>;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEventMessageAttribute {
  stringValue?: string;
  binaryValue?: string;
  stringListValues: string[];
  binaryListValues: string[];
  dataType: string;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

function messageAttribute(value: MessageAttributeValue): SqsEventMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType ?? 'String',
  };
}

/** One record of the event; `queueArn` and `region` say where it came from. */
export function sqsEventRecord(message: Message, queueArn: string, region: string): SqsEventRecord {
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, messageAttribute(value)]),
  );
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ...(message.Attributes ?? {}) },
    messageAttributes: attributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function sqsEvent(messages: readonly Message[], queueArn: string, region: string): { Records: SqsEventRecord[] } {
  return { Records: messages.map((message) => sqsEventRecord(message, queueArn, region)) };
}
