/** Reading → live-state derivation is shared with the board's screen (@yizhan/screen/derive); the server's modules import it from here. */
export * from '@yizhan/screen/derive';
