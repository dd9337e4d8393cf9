package dev.thinkgate.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.audit.KafkaAuditReader.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaAuditReaderTest {

  @Test
  void anAddressNamesItsBrokersAndTopic() {
    Source one = Source.parse("kafka://127.0.0.1:9092/thinkgate.audit");
    Source two = Source.parse("kafka://kafka-0:9092,kafka-1:9093/audit_v2");

    assertThat(one).isEqualTo(new Source("127.0.0.1:9092", "thinkgate.audit"));
    assertThat(two).isEqualTo(new Source("kafka-0:9092,kafka-1:9093", "audit_v2"));
    assertThat(two.toString()).isEqualTo("kafka://kafka-0:9092,kafka-1:9093/audit_v2");
    assertThat(Source.isKafka("kafka://h:1/t")).isTrue();
    assertThat(Source.isKafka("audit/kafka")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"kafka://h/t", "kafka://h:9092", "kafka://h:9092/", "kafka://:9092/t",
      "kafka://h:9092/a/b", "kafka://h:x/t", "kafka://h:1,/t"})
  void aMalformedAddressSaysWhatItMustLookLike(String url) {
    assertThatThrownBy(() -> Source.parse(url)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("'" + url + "' is not kafka://HOST:PORT[,HOST:PORT...]/TOPIC");
  }

  @Test
  void statsOfTopicsAndFilesAddUp() {
    AuditReader.Stats topic = new AuditReader.Stats(4, 100, 10, 9, 1, "partition");
    AuditReader.Stats files = new AuditReader.Stats(1, 50, 5, 5, 0);

    assertThat(topic.sources()).isEqualTo("4 partitions");
    assertThat(files.sources()).isEqualTo("1 file");
    assertThat(topic.plus(files)).isEqualTo(new AuditReader.Stats(5, 150, 15, 14, 1, "source"));
    assertThat(files.plus(files).sources()).isEqualTo("2 files");
  }
}
