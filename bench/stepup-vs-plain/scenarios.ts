// The three timed scenarios, each the product's operation next to the plain library's, with the CPU target.
import { takeTurns, type Contender, type ProductContender } from './contenders.ts';
import { refreshGrant, type RefreshHolder } from './flows.ts';

export type ScenarioKey = 'stepup' | 'silent' | 'refresh';

export interface Scenario {
  key: ScenarioKey;
  /** What one operation is, on each side. */
  title: string;
  plainOp: string;
  productOp: string;
  /** Server CPU per operation, product / plain, at 16 clients (issue 11). */
  cpuTarget: number;
  /** The timed task of a side, ready to run (its untimed setup done). */
  task(side: Contender): () => Promise<void>;
}

export const P99_TARGET = 1.3;
/** Browsers with a session, and refresh tokens, per side: more than the most concurrent clients (16). */
const HOLDERS = 24;

/** Untimed setup of every scenario on both sides (accounts, sessions, refresh tokens), then the scenarios. */
export async function prepareScenarios(plain: Contender, product: ProductContender): Promise<Scenario[]> {
  const silent = new Map<Contender, () => Promise<void>>();
  const holders = new Map<Contender, RefreshHolder[]>();
  for (const side of [plain, product]) {
    silent.set(side, await side.silent(HOLDERS));
    holders.set(side, await side.refreshHolders(HOLDERS));
  }
  return [
    {
      key: 'stepup',
      title: 'step-up flow vs plain login flow',
      plainOp: 'login flow: new browser → /auth → scripted login page → post → callback → token (5 requests)',
      productOp: 'step-up flow: aal1 session → /auth?acr_values=aal2 → TOTP page → post the code → callback → token (5 requests)',
      cpuTarget: 1.3,
      task: (side) => () => side.flow(),
    },
    {
      key: 'silent',
      title: 'silent sign-in, acr_values satisfied',
      plainOp: 'signed-in browser → /auth?prompt=none&acr_values=aal1 → callback → token (2 requests)',
      productOp: 'aal1 session → /auth?prompt=none&acr_values=aal1 → callback → token (2 requests)',
      cpuTarget: 1.15,
      task: (side) => silent.get(side)!,
    },
    {
      key: 'refresh',
      title: 'refresh grant',
      plainOp: 'POST /token grant_type=refresh_token (rotating)',
      productOp: 'POST /token grant_type=refresh_token (rotating)',
      cpuTarget: 1.05,
      task: (side) => takeTurns(holders.get(side)!, (holder) => refreshGrant(side.target, holder)),
    },
  ];
}
