// A refusal of the API shown in a form: its message, then each field it names (`args.url: must be
// string`, `jobs[2].id: …`), so the user sees which part of what they sent to fix.

import { h } from './dom.js';

/** `block`: the block's class (beside `error`); `fields`: the class of its list of fields. */
export function errorBlock(error, { block, fields }) {
  const details = Array.isArray(error.details) ? error.details : [];
  // A message that already says each field's problem is not repeated above the list.
  const repeated = details.length > 0 && details.every((detail) => error.message.includes(`${detail.path}: ${detail.message}`));
  return h(
    'div',
    { class: `error ${block}` },
    repeated ? null : h('p', { text: error.message }),
    details.length === 0
      ? null
      : h(
          'ul',
          { class: fields },
          details.map((detail) => h('li', {}, h('code', { text: detail.path }), `: ${detail.message}`)),
        ),
  );
}
