/** The live station shapes live with the screen that shows them (@yizhan/screen/schema); the server's modules import them from here. */
export * from '@yizhan/screen/schema';
