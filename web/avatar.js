// Initials avatars: a colour of its own for every handle, the same on every device, always readable.
import { el } from "./dom.js";

export function initials(displayName, handle) {
  const words = String(displayName || "").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words.at(-1)] : words.length ? [words[0]] : [handle || "?"];
  const picked = letters.length === 1 ? [...letters[0]].slice(0, 2).join("") : letters.map((w) => [...w][0]).join("");
  return picked.toUpperCase();
}

// FNV-1a, then murmur3's finaliser: FNV alone leaves short, similar handles ("londo", "worf") with nearly the
// same low bits, so the same hue. Handles match case-insensitively, and so do their colours.
function hash(text) {
  let h = 0x811c9dc5;
  for (const char of text.toLowerCase()) {
    h ^= char.codePointAt(0);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hslToRgb(h, s, l) {
  const a = s * Math.min(l, 1 - l);
  const channel = (n) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [channel(0), channel(8), channel(4)];
}

function luminance([r, g, b]) {
  const linear = (c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

const WHITE = [255, 255, 255];

// Hue from the handle; then darkened until white initials reach WCAG AA (4.5:1) with a little to spare, so
// yellows and cyans, which are light at any saturation, are readable too. Works on light and dark pages alike.
export function avatarColours(handle) {
  const h = hash(handle || "?");
  const hue = h % 360;
  const saturation = 0.45 + ((h >>> 9) % 20) / 100;
  for (let lightness = 0.5; lightness > 0.05; lightness -= 0.02) {
    const rgb = hslToRgb(hue, saturation, lightness);
    if (contrast(rgb, WHITE) >= 4.6) return { background: `rgb(${rgb.join(", ")})`, foreground: "rgb(255, 255, 255)" };
  }
  return { background: "rgb(32, 33, 36)", foreground: "rgb(255, 255, 255)" };
}

// Decorative: the name is always written next to it.
export function avatar(displayName, handle, className = "avatar") {
  const { background, foreground } = avatarColours(handle);
  const node = el("span", { className, text: initials(displayName, handle), attrs: { "aria-hidden": "true" } });
  node.style.backgroundColor = background;
  node.style.color = foreground;
  return node;
}
