/**
 * Reading noVNC's canvas in a page: its pixels, and how far they are from a demo VM's framebuffer (the pixel
 * checks of the console tests).
 */
import type { Page } from 'playwright-core';
import type { DemoScreen } from '../../scripts/demo-screen/screen.js';

/** noVNC's canvas as RGBA bytes (as large as the remote screen, whatever the page scales it to). */
export const canvasPixels = async (page: Page): Promise<Buffer | undefined> => {
  const base64 = await page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#screen canvas');
    if (!canvas || canvas.width === 0) return undefined;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let binary = '';
    for (let at = 0; at < data.length; at += 0x8000) binary += String.fromCharCode(...data.subarray(at, at + 0x8000));
    return btoa(binary);
  });
  return base64 === undefined ? undefined : Buffer.from(base64, 'base64');
};

/** How many pixels of the canvas differ from the VM's framebuffer (undefined: no canvas of that size yet). */
export function differingPixels(rgba: Buffer | undefined, screen: DemoScreen): number | undefined {
  if (!rgba || rgba.length !== screen.width * screen.height * 4) return undefined;
  let differing = 0;
  screen.pixels.forEach((rgb, index) => {
    const at = index * 4;
    if (rgba[at] !== rgb >> 16 || rgba[at + 1] !== ((rgb >> 8) & 0xff) || rgba[at + 2] !== (rgb & 0xff)) differing += 1;
  });
  return differing;
}
