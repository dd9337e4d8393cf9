package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowControlTest {
  private final List<String> events = new ArrayList<>();
  private final FlowControl.Source source = new FlowControl.Source() {
    @Override
    public void pause() {
      events.add("pause");
    }

    @Override
    public void resume() {
      events.add("resume");
    }
  };

  @Test
  void aNewCallInheritsThePauseAndADetachedOneIsLetGo() {
    // Given a paused client side
    FlowControl flow = new FlowControl();
    flow.pause();

    // When a call attaches, then ends while still paused
    flow.attach(source);
    flow.detach(source);

    // Then it was paused on attach and resumed on detach, so its rest can be read and dropped
    assertThat(events).containsExactly("pause", "resume");
    assertThat(flow.paused()).isTrue();
  }

  @Test
  void theFlushRunsOnceAtTheEndOfEachRead() {
    // Given a client side that flushes after reads
    FlowControl flow = new FlowControl();
    flow.afterRead(() -> events.add("flush"));

    // When a read with several events is processed, and one with none
    flow.readStarted();
    boolean batchedInRead = flow.inRead();
    flow.readStarted();
    flow.readEnded();
    boolean batchedAfter = flow.inRead();
    flow.readEnded();

    // Then writes during the read wait for one flush at its end; none for a read that wrote nothing
    assertThat(batchedInRead).isTrue();
    assertThat(batchedAfter).isFalse();
    assertThat(events).containsExactly("flush");
  }

  @Test
  void withoutAFlushNothingWaitsForTheReadEnd() {
    // Given a client side that registered no flush (a non-stream response collects instead)
    FlowControl flow = new FlowControl();

    // When a read is processed
    flow.readStarted();

    // Then writes are not told to wait for a flush that would never come
    assertThat(flow.inRead()).isFalse();
  }
}
