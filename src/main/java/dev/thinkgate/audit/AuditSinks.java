package dev.thinkgate.audit;

import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.AuditSinkConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@link AuditSink} a configuration asks for.
 *
 * <p>Type {@code file} is {@link FileAuditSink}, type {@code kafka} is {@link KafkaAuditSink}.
 * Adding another type takes three steps and no change elsewhere: write a final class implementing
 * {@link AuditSink} whose {@code offer} only enqueues (anything that may block, such as a Kafka
 * producer's {@code send} waiting on metadata, goes behind a bounded queue and one worker thread;
 * drop and count when full, as both sinks do); add its settings to {@code AuditSinkConfig} and to
 * config validation; add a {@code case} below. Composite sinks fan out, so a file and a
 * Kafka sink can run side by side.
 */
public final class AuditSinks {

  private AuditSinks() {}

  /**
   * @return one sink: a discarding sink when none is configured, the sink itself when one is,
   *     and a composite offering to each when several are
   * @throws IllegalArgumentException naming an unknown sink type
   */
  public static AuditSink create(AuditConfig config, MeterRegistry registry, Clock clock) {
    List<AuditSink> sinks = new ArrayList<>();
    try {
      for (AuditSinkConfig sink : config.sinks()) {
        sinks.add(create(sink, registry, clock));
      }
    } catch (RuntimeException e) {
      sinks.forEach(AuditSink::close);
      throw e;
    }
    return switch (sinks.size()) {
      case 0 -> discarding();
      case 1 -> sinks.get(0);
      default -> new CompositeAuditSink(sinks);
    };
  }

  private static AuditSink create(AuditSinkConfig sink, MeterRegistry registry, Clock clock) {
    String type = sink.type() == null ? "file" : sink.type();
    return switch (type) {
      case "file" -> new FileAuditSink(sink, registry, clock);
      case "kafka" -> new KafkaAuditSink(sink, registry);
      default -> throw new IllegalArgumentException(
          "audit sink type '" + type + "' is not one of file, kafka");
    };
  }

  /** Accepts nothing: every offer returns false. For a gateway without audit sinks. */
  public static AuditSink discarding() {
    return new AuditSink() {
      @Override
      public boolean offer(AuditRecord record) {
        return false;
      }

      @Override
      public boolean discardsAll() {
        return true;
      }

      @Override
      public void close() {}
    };
  }

  /** Offers each record to every sink; true only when all accepted it. */
  static final class CompositeAuditSink implements AuditSink {
    private final List<AuditSink> sinks;

    CompositeAuditSink(List<AuditSink> sinks) {
      this.sinks = List.copyOf(sinks);
    }

    @Override
    public boolean offer(AuditRecord record) {
      boolean all = true;
      for (AuditSink sink : sinks) {
        all &= sink.offer(record);
      }
      return all;
    }

    @Override
    public void close() {
      RuntimeException first = null;
      for (AuditSink sink : sinks) {
        try {
          sink.close();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
      if (first != null) {
        throw first;
      }
    }

    List<AuditSink> sinks() {
      return sinks;
    }
  }
}
