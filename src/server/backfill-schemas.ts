/** Schemas of POST /jobs/:id/backfill: its body and its full answer (see core/backfill.ts). */
import { BACKFILL_OUTCOMES } from '../core/backfill.js';

const instant = { type: 'string', maxLength: 40, description: 'ISO 8601 with a zone, e.g. 2026-11-28T02:30:00Z.' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const outcomes = { type: 'string', enum: [...BACKFILL_OUTCOMES] } as const;

export const backfillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { ...instant, description: "The range's first instant (inclusive), ISO 8601 with a zone." },
    to: { ...instant, description: "The range's last instant (inclusive), at or after from." },
    only: {
      type: 'array',
      minItems: 1,
      maxItems: BACKFILL_OUTCOMES.length,
      items: outcomes,
      description: 'The recorded outcomes to re-run (default ["missed"]; failed takes in timed_out). A lost run may have done its work: ask for it.',
    },
    dryRun: { type: 'boolean', description: 'List what would run and change nothing.' },
  },
} as const;

export const backfillResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jobId', 'dryRun', 'from', 'to', 'only', 'fires', 'leftAlone'],
  properties: {
    jobId: { type: 'string' },
    dryRun: { type: 'boolean' },
    from: dateTime,
    to: dateTime,
    only: { type: 'array', items: outcomes },
    fires: {
      type: 'array',
      description: 'The fires re-run (started one after another, oldest first), or that would be in a dry run.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['scheduledAt', 'outcome', 'attempt', 'runId'],
        properties: {
          scheduledAt: { ...dateTime, description: "The fire's original scheduled time: the re-run runs under it (same Idempotency-Key)." },
          outcome: { type: 'string', description: "The fire's recorded outcome." },
          attempt: { type: 'integer', minimum: 2, description: "The re-run's attempt: the fire's highest recorded attempt plus one." },
          runId: { type: 'string', description: '<jobId>@<scheduledAt>#<attempt>.' },
        },
      },
    },
    leftAlone: {
      type: 'object',
      description:
        'Recorded fires in the range not re-run, by outcome (succeeded, running, coalesced, paused, excluded, retry_pending, or one not asked for). Stretches are counted by the trigger.',
      additionalProperties: { type: 'integer', minimum: 1 },
    },
  },
} as const;
