package dev.thinkgate.audit;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the audit records of a Kafka topic, as {@link AuditReader} reads files: every partition
 * from the beginning (or from the first message at or after a given time) up to the end offsets
 * it had when reading started, then stops. It joins no consumer group and commits nothing, so it
 * can run any number of times beside the gateways. A message that is not a JSON object is
 * skipped, counted and reported as {@code topic-partition@offset} (the first 20).
 */
public final class KafkaAuditReader {

  /** {@code kafka://host:port[,host:port...]/topic}. */
  public record Source(String bootstrapServers, String topic) {
    public static final String SCHEME = "kafka://";

    public static boolean isKafka(String input) {
      return input.startsWith(SCHEME);
    }

    /** @throws IllegalArgumentException saying what a kafka:// address must look like */
    public static Source parse(String url) {
      String rest = url.startsWith(SCHEME) ? url.substring(SCHEME.length()) : "";
      int slash = rest.indexOf('/');
      String servers = slash < 0 ? "" : rest.substring(0, slash);
      String topic = slash < 0 ? "" : rest.substring(slash + 1);
      if (!servers.matches("[^,:/\\s]+:\\d+(,[^,:/\\s]+:\\d+)*")
          || !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new IllegalArgumentException("'" + url + "' is not kafka://HOST:PORT[,HOST:PORT...]"
            + "/TOPIC");
      }
      return new Source(servers, topic);
    }

    @Override
    public String toString() {
      return SCHEME + bootstrapServers + "/" + topic;
    }
  }


  private final PrintStream warnings;
  private final Function<Long, ProgressBar> progress;
  private final Map<String, String> consumerProperties;
  private final Duration timeout;

  /**
   * @param progress makes a progress bar for the given total of messages
   * @param consumerProperties extra consumer settings (security, for instance)
   * @param timeout how long the broker may stay silent before reading fails
   */
  public KafkaAuditReader(PrintStream warnings, Function<Long, ProgressBar> progress,
      Map<String, String> consumerProperties, Duration timeout) {
    this.warnings = warnings;
    this.progress = progress;
    this.consumerProperties = Map.copyOf(consumerProperties);
    this.timeout = timeout;
  }

  /** Warnings and a console progress bar on stderr, 30 s timeout. */
  public static KafkaAuditReader onConsole(Map<String, String> consumerProperties) {
    return new KafkaAuditReader(System.err,
        total -> ProgressBar.onConsole("reading", total, ProgressBar.Unit.ITEMS),
        consumerProperties, Duration.ofSeconds(30));
  }

  /**
   * Reads {@code source} and hands each record to {@code consumer}, partition after partition.
   *
   * @param since null for the whole topic; else only messages whose timestamp (the record's
   *     {@code ts}, as the Kafka sink writes it) is at or after it
   * @throws IOException when the topic does not exist or the broker does not answer in time
   */
  public AuditReader.Stats read(Source source, Instant since, Consumer<JsonObject> consumer)
      throws IOException {
    Map<String, Object> props = new HashMap<>(consumerProperties);
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, source.bootstrapServers());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "thinkgate-audit-reader");
    try (KafkaConsumer<byte[], byte[]> kafka = new KafkaConsumer<>(props,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = kafka.partitionsFor(source.topic(), timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IOException(source + ": no such topic");
      }
      List<TopicPartition> partitions = infos.stream()
          .map(p -> new TopicPartition(p.topic(), p.partition()))
          .sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
      Map<TopicPartition, Long> end = kafka.endOffsets(partitions, timeout);
      Map<TopicPartition, Long> start = startOffsets(kafka, partitions, since, end);
      long total = 0;
      for (TopicPartition p : partitions) {
        total += Math.max(0, end.get(p) - start.get(p));
      }
      Counts counts = new Counts(warnings);
      try (ProgressBar bar = progress.apply(total)) {
        for (TopicPartition p : partitions) {
          readPartition(kafka, p, start.get(p), end.get(p), since, consumer, counts, bar);
        }
      }
      counts.skips.finish("messages");
      return new AuditReader.Stats(partitions.size(), counts.bytes, counts.messages,
          counts.records, counts.skips.count(), "partition");
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new IOException(source + ": no answer within " + timeout.toSeconds() + " s ("
          + e.getMessage() + ")", e);
    } catch (KafkaException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  private Map<TopicPartition, Long> startOffsets(KafkaConsumer<byte[], byte[]> kafka,
      List<TopicPartition> partitions, Instant since, Map<TopicPartition, Long> end) {
    Map<TopicPartition, Long> start = new HashMap<>(kafka.beginningOffsets(partitions, timeout));
    if (since != null) {
      Map<TopicPartition, Long> query = new HashMap<>();
      partitions.forEach(p -> query.put(p, since.toEpochMilli()));
      Map<TopicPartition, OffsetAndTimestamp> found = kafka.offsetsForTimes(query, timeout);
      for (TopicPartition p : partitions) {
        OffsetAndTimestamp at = found.get(p);
        start.put(p, at == null ? end.get(p) : Math.max(start.get(p), at.offset()));
      }
    }
    return start;
  }

  private void readPartition(KafkaConsumer<byte[], byte[]> kafka, TopicPartition partition,
      long from, long to, Instant since, Consumer<JsonObject> consumer, Counts counts,
      ProgressBar bar) throws IOException {
    if (from >= to) {
      return;
    }
    kafka.assign(List.of(partition));
    kafka.seek(partition, from);
    long idleSince = System.nanoTime();
    while (kafka.position(partition, timeout) < to) {
      var batch = kafka.poll(Duration.ofMillis(200));
      if (batch.isEmpty()) {
        if (System.nanoTime() - idleSince > timeout.toNanos()) {
          throw new IOException(partition + ": no message received for " + timeout.toSeconds()
              + " s at offset " + kafka.position(partition) + " of " + to);
        }
        continue;
      }
      idleSince = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> message : batch.records(partition)) {
        if (message.offset() >= to) {
          break;
        }
        bar.advance(1);
        counts.messages++;
        byte[] value = message.value();
        counts.bytes += value == null ? 0 : value.length;
        if (since != null && message.timestamp() < since.toEpochMilli()) {
          continue;
        }
        JsonObject record;
        try {
          record = new JsonObject(new String(value, StandardCharsets.UTF_8));
        } catch (DecodeException | ClassCastException | NullPointerException e) {
          counts.skips.skip(partition + "@" + message.offset() + ": not a JSON object, skipped");
          continue;
        }
        counts.records++;
        consumer.accept(record);
      }
    }
  }

  private static final class Counts {
    long bytes;
    long messages;
    long records;
    final SkipWarnings skips;

    Counts(java.io.PrintStream warnings) {
      this.skips = new SkipWarnings(warnings);
    }
  }
}
