// Settings of the demo RP and API from the environment, validated with messages that name the bad variable.
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

const schema = z.object({
  DEMO_HOST: z.string().min(1).default('localhost'),
  DEMO_ISSUER: z.string().url().default('http://localhost:3000'),
  DEMO_RP_PORT: port(3001),
  DEMO_RP_URL: z.string().url().optional(),
  DEMO_API_PORT: port(3002),
  DEMO_API_URL: z.string().url().optional(),
  DEMO_CLIENT_ID: z.string().min(1).default('demo-rp'),
  DEMO_CLIENT_SECRET: z.string().min(1).default('demo-rp-client-secret'),
  DEMO_TRANSFER_ACR: z
    .string()
    .regex(/^[\x21-\x7E]+$/)
    .default('aal2'),
  DEMO_TRANSFER_MAX_AGE: z.coerce.number().int().min(0).default(300),
});

export interface DemoConfig {
  host: string;
  /** The provider's issuer identifier. */
  issuer: string;
  rpPort: number;
  /** The RP's public base URL (its redirect URI is `${rpUrl}/callback`). */
  rpUrl: string;
  apiPort: number;
  /** The API's base URL, which is also its resource indicator (the `aud` of its tokens). */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** What `POST /transfer` requires: aal2 within 300 s until passkeys land, then phr. */
  transfer: { acr: string; maxAge: number };
}

export function demoConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`demo configuration: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const vars = parsed.data;
  const trim = (url: string) => url.replace(/\/$/, '');
  return {
    host: vars.DEMO_HOST,
    issuer: trim(vars.DEMO_ISSUER),
    rpPort: vars.DEMO_RP_PORT,
    rpUrl: trim(vars.DEMO_RP_URL ?? `http://localhost:${vars.DEMO_RP_PORT}`),
    apiPort: vars.DEMO_API_PORT,
    apiUrl: trim(vars.DEMO_API_URL ?? `http://localhost:${vars.DEMO_API_PORT}`),
    clientId: vars.DEMO_CLIENT_ID,
    clientSecret: vars.DEMO_CLIENT_SECRET,
    transfer: { acr: vars.DEMO_TRANSFER_ACR, maxAge: vars.DEMO_TRANSFER_MAX_AGE },
  };
}
