/**
 * A function's EventBridge Scheduler schedule as template.yaml declares it (an event of Type
 * ScheduleV2): its expression, time zone, Input, name and state, each a literal or `!Ref` a
 * parameter with a Default, as `sam deploy` would give them without overrides.
 */
import { UserError } from '../../errors.js';
import { literalOf, templateError } from '../../project/project.js';
import { visible } from '../../text/terminal-text.js';

export interface ScheduleSettings {
  /** The event's name under the function's Events, e.g. `ScheduledRun`. */
  eventName: string;
  expression: string;
  /** ScheduleExpressionTimezone; UTC when the template does not say, as Scheduler. */
  timeZone: string;
  /** The payload with Scheduler's `<aws.scheduler.…>` keywords still in it; undefined when the template gives none. */
  input: string | undefined;
  /** The schedule's name, for its ARN. */
  name: string;
  /** State: DISABLED runs nothing on schedule. */
  enabled: boolean;
  /** FlexibleTimeWindow's Mode is FLEXIBLE: Scheduler may start a run later than its time; dev runs it on time. */
  flexible: boolean;
}

type Json = Record<string, unknown>;
const isMapping = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The ScheduleV2 events of function `functionId` in a parsed template; `stackName` stands for `!Ref AWS::StackName`. */
export function schedulesOf(template: unknown, functionId: string, stackName: string): ScheduleSettings[] {
  const resources: unknown = isMapping(template) ? template.Resources : undefined;
  const resource: unknown = isMapping(resources) ? resources[functionId] : undefined;
  if (!isMapping(resource)) throw new UserError(`template.yaml has no function ${visible(functionId, 64)}`);
  const parameters: Json = isMapping(template) && isMapping(template.Parameters) ? template.Parameters : {};
  const events: unknown = isMapping(resource.Properties) ? resource.Properties.Events : undefined;
  if (!isMapping(events)) return [];
  return Object.entries(events).flatMap(([eventName, event]) => {
    if (!isMapping(event) || event.Type !== 'ScheduleV2') return [];
    const where = `${visible(functionId, 64)} Events.${visible(eventName, 64)}`;
    const props: unknown = event.Properties ?? {};
    if (!isMapping(props)) throw templateError(where, 'Properties must be a mapping');
    const text = (property: string): string | undefined => {
      const value = props[property] === undefined ? undefined : literalOf(props[property], parameters, where, property);
      if (value !== undefined && typeof value !== 'string') throw templateError(where, `${property} must be text`);
      return value;
    };
    const expression = text('ScheduleExpression');
    if (expression === undefined) throw templateError(where, 'a ScheduleV2 event needs a ScheduleExpression');
    const state = text('State') ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED')
      throw templateError(where, `State must be ENABLED or DISABLED, not ${visible(state, 40)}`);
    const window = props.FlexibleTimeWindow;
    return [
      {
        eventName,
        expression,
        timeZone: text('ScheduleExpressionTimezone') ?? 'UTC',
        input: text('Input'),
        name: isMapping(props.Name) && props.Name.Ref === 'AWS::StackName' ? stackName : (text('Name') ?? `${functionId}${eventName}`),
        enabled: state === 'ENABLED',
        // Only a window written out as FLEXIBLE: the generated `!If` is OFF unless a deploy sets a window.
        flexible: isMapping(window) && window.Mode === 'FLEXIBLE',
      },
    ];
  });
}
