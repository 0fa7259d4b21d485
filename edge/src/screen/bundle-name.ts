/** The board screen's own bundle file, beside the agent's (edge/build.ts writes it, main.ts loads it). */
export const SCREEN_BUNDLE = 'edge-screen.mjs';
