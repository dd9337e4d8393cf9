package dev.thinkgate.audit;

import java.time.Instant;
import java.time.LocalDate;

/**
 * An audit record's timestamp: {@code Instant.ofEpochMilli(ms).toString()}, character for
 * character ({@code 2026-11-29T19:47:32.985Z}; no fraction on a whole second), without the
 * formatter {@link Instant#toString} goes through, which costs more than the rest of a record.
 * The date part is kept for the last day asked. Thread-safe.
 */
public final class IsoTime {
  private static final long DAY_MS = 86_400_000L;

  /** The last day's number and its {@code yyyy-MM-ddT}, replaced together. */
  private record Day(long day, String prefix) {}

  private static volatile Day last = new Day(Long.MIN_VALUE, "");

  private IsoTime() {}

  /** {@code Instant.ofEpochMilli(epochMillis).toString()}. */
  public static String ofMillis(long epochMillis) {
    long day = Math.floorDiv(epochMillis, DAY_MS);
    Day d = last;
    if (d.day() != day) {
      LocalDate date = LocalDate.ofEpochDay(day);
      if (date.getYear() < 0 || date.getYear() > 9999) {
        return Instant.ofEpochMilli(epochMillis).toString(); // signed or five-digit years
      }
      d = new Day(day, date + "T");
      last = d;
    }
    int ms = (int) Math.floorMod(epochMillis, DAY_MS);
    int seconds = ms / 1000;
    int millis = ms % 1000;
    StringBuilder sb = new StringBuilder(24).append(d.prefix());
    two(sb, seconds / 3600).append(':');
    two(sb, seconds / 60 % 60).append(':');
    two(sb, seconds % 60);
    if (millis != 0) {
      sb.append('.').append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
          .append((char) ('0' + millis % 10));
    }
    return sb.append('Z').toString();
  }

  private static StringBuilder two(StringBuilder sb, int v) {
    return sb.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
  }
}
