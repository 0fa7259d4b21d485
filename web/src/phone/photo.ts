/**
 * Photos made small on the phone before they are sent: longest side at most 1600 px, JPEG at
 * quality 0.8 (a 12-megapixel photo of 4–6 MB becomes some 200–400 KB of the rider's data).
 * Drawing on a canvas and encoding again also leaves every EXIF field behind, the GPS position
 * included. Only when the rider asks to keep the photo's location is the original sent instead,
 * if it is within the server's 2 MB (else it is resized, and the location is lost).
 */
export const MAX_SIDE_PX = 1600;
export const JPEG_QUALITY = 0.8;
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
const SENDABLE = ['image/jpeg', 'image/png', 'image/webp'];

/** The image's pixels drawn at most MAX_SIDE_PX on the long side (orientation as the photo says). */
export async function resized(file: Blob): Promise<Blob> {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const scale = Math.min(1, MAX_SIDE_PX / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    canvas.getContext('2d')!.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('canvas.toBlob'))), 'image/jpeg', JPEG_QUALITY),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** What is sent for one photo. */
export async function forUpload(file: File, keepLocation: boolean): Promise<Blob> {
  if (keepLocation && file.size <= MAX_UPLOAD_BYTES && SENDABLE.includes(file.type)) return file;
  return resized(file);
}
