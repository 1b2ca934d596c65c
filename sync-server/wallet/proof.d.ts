// Types of proof.js for the TypeScript code that runs it in Node (demo, tests).
export declare const HOLDER_PREFIX: string;
export declare const STEP_SECONDS: number;
export declare function base45(bytes: Uint8Array): string;
export declare function stepAt(nowMs: number): number;
export declare function msToNextStep(nowMs: number): number;
export declare function newHolderKey(): Promise<{ privateKey: CryptoKey; publicKey: string }>;
export declare function holderCode(
  passText: string,
  passId: string,
  privateKey: CryptoKey,
  nowMs: number,
): Promise<string>;
