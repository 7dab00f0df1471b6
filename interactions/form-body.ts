// Parses small url-encoded form posts only; anything else is refused before a handler runs.
import { bodyParser } from '@koa/bodyparser';

export const formBody = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });
