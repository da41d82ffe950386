import { describe, expect, it } from 'vitest';
import { hintFor } from '../src/aws/root-cause.js';

const REFUSED = 'Resource handler returned message: "Table cannot be deleted as DeletionProtectionEnabled is set to true"';

describe('the deletion protection hint', () => {
  it('names the parameter of the table that refused, whichever table it is', () => {
    for (const table of ['ResultsTable', 'InputTable']) {
      const hint = hintFor(REFUSED, { ResourceType: 'AWS::DynamoDB::Table', LogicalResourceId: table });
      expect(hint).toContain(`--parameter-overrides ${table}DeletionProtection=false`);
    }
  });

  it('names the results table when the event does not say which', () => {
    expect(hintFor(REFUSED, { ResourceType: 'AWS::DynamoDB::Table' })).toContain('ResultsTableDeletionProtection=false');
  });
});
