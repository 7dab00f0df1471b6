// The operation a sign-in approves, in plain words from the operation type's template: every value is the relying
// party's text, escaped like any other (never its HTML).
import { html, type SafeHtml } from './html.ts';

/** One operation in words (stepup/operation.ts). */
export interface OperationText {
  summary: string;
  fields: Array<{ label: string; value: string }>;
}

export function operationBox(clientName: string, operations: OperationText[] | undefined): SafeHtml | string {
  if (!operations?.length) return '';
  return html`<section class="operation" aria-label="What you approve">
<p><strong>${clientName}</strong> asks you to approve:</p>
${operations.map(
  (operation) => html`<p class="operation-summary">${operation.summary}</p>
<dl>${operation.fields.map((field) => html`<dt>${field.label}</dt><dd>${field.value}</dd>`)}</dl>`,
)}
</section>`;
}
