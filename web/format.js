// Dates and counts as people read them, in their own locale and time zone.

const DAY_MS = 86_400_000;
const UNITS = [["year", 31_536_000], ["month", 2_592_000], ["week", 604_800], ["day", 86_400], ["hour", 3_600],
  ["minute", 60]];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const relativeShort = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: "long" });
const thisYear = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "long" });
const otherYear = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long", year: "numeric" });
const clock = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });

export function relativeTime(iso, now = Date.now(), { short = false } = {}) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return (short ? relativeShort : relative).format(Math.round(seconds / size), unit);
  }
  return "just now";
}

function midnight(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate());
}

// Calendar days from `iso` to `now` on this device's calendar (rounded: a day with a DST change is 23 or 25 h).
export function daysAgo(iso, now = Date.now()) {
  return Math.round((midnight(new Date(now)) - midnight(new Date(iso))) / DAY_MS);
}

// The same local calendar day: one separator per day, and a run of messages never crosses midnight.
export function dayKey(iso) {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

// "Today", "Yesterday", the weekday within the last week, else the date (with the year when it is not this one).
export function dayLabel(iso, now = Date.now()) {
  const days = daysAgo(iso, now);
  const date = new Date(iso);
  if (days <= 0 && days >= -1) return "Today";  // a server clock a little ahead of ours is still today
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return weekday.format(date);
  return date.getFullYear() === new Date(now).getFullYear() ? thisYear.format(date) : otherYear.format(date);
}

export const clockTime = (iso) => clock.format(new Date(iso));
export const exactTime = (iso) => exact.format(new Date(iso));

// The API caps unread counts at 100; more than two digits would not fit a badge anyway.
export function unreadLabel(count) {
  if (!Number.isFinite(count) || count <= 0) return "";
  return count > 99 ? "99+" : String(Math.floor(count));
}
