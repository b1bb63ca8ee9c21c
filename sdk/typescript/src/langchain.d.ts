// Types of the oep LangChain.js / LangGraph.js callback handler (src/langchain.js).
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Client, Session } from "./index.js";

export const TESTED_VERSIONS: Record<string, string[]>;
export const HANDLER_VERSION: string;
export function installedVersion(name: string): string | null;
export function checkFrameworkVersions(warn?: (message: string) => void, tested?: Record<string, string[]>):
  { versions: Record<string, string>; warnings: string[] };
export function registerLangChain(client: Client, warn?: (message: string) => void): Record<string, string>;

export class OepCallbackHandler extends BaseCallbackHandler {
  name: string;
  constructor(options: { session: Session; warn?: (message: string) => void });
}
