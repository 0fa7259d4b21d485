/** Observations are what live state applies (@yizhan/screen/observation); the server's modules import them from here. */
export * from '@yizhan/screen/observation';
