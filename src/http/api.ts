/** What every endpoint gets and gives (router.ts calls them; each lives in its own file). */
import type { ApiSource } from "./source.js";

export interface ApiRequest {
  method: string;
  url: URL;
  /** The path's parameters ({name}, {id}), decoded. */
  params: readonly string[];
  /** The parsed JSON body of a POST. */
  body: unknown;
  now: number;
  source: ApiSource;
  /** When the server (and the agent with it) started. */
  startedAt: number;
}

export interface ApiAnswer {
  status?: number;
  body: unknown;
}

export type ApiHandler = (req: ApiRequest) => ApiAnswer | Promise<ApiAnswer>;
