package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** The audit's timestamps are {@link Instant#toString}'s, for any millisecond. */
class IsoTimeProperties {

  @Property(tries = 5000)
  void writesWhatInstantWrites(@ForAll @LongRange(min = -70_000_000_000_000L,
      max = 300_000_000_000_000L) long millis) {
    assertThat(IsoTime.ofMillis(millis)).isEqualTo(Instant.ofEpochMilli(millis).toString());
  }

  @Property(tries = 2000)
  void writesWhatInstantWritesWithinADay(@ForAll @LongRange(min = 1_796_000_000_000L,
      max = 1_796_086_400_000L) long millis) {
    assertThat(IsoTime.ofMillis(millis)).isEqualTo(Instant.ofEpochMilli(millis).toString());
  }

  @Example
  void edges() {
    for (long ms : new long[] {0, -1, 1, 999, 1000, 86_399_999, 86_400_000, -86_400_000,
        -62_167_219_200_000L, -62_167_219_200_001L, 253_402_300_799_999L, 253_402_300_800_000L,
        Long.MAX_VALUE / 1000, Long.MIN_VALUE / 1000}) {
      assertThat(IsoTime.ofMillis(ms)).as("%d", ms).isEqualTo(Instant.ofEpochMilli(ms).toString());
    }
  }
}
