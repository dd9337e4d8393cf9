package dev.thinkgate.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DecodeStepsTest {
  private final Vertx vertx = Vertx.vertx();
  private final Context loop = vertx.getOrCreateContext();
  private final DecodeSteps steps = new DecodeSteps(vertx, 200); // a 5 ms step

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void streamsWaitingTogetherResumeInTheSameStep() throws Exception {
    // Given three streams waiting for the next step
    List<Long> resumedAt = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> all = new CompletableFuture<>();
    loop.runOnContext(v -> {
      for (int i = 0; i < 3; i++) {
        steps.awaitNextStep(() -> {
          resumedAt.add(steps.stepsTaken());
          if (resumedAt.size() == 3) {
            all.complete(null);
          }
        });
      }
    });

    // When the step comes
    all.get(5, TimeUnit.SECONDS);

    // Then all three resumed in step 1
    assertThat(resumedAt).containsExactly(1L, 1L, 1L);
  }

  @Test
  void theStepTimerStopsWhenNoStreamWaits() throws Exception {
    CompletableFuture<Boolean> resumed = new CompletableFuture<>();
    onLoop(() -> {
      // read on the loop, in the step itself: from the test thread the next step may already
      // have found nobody waiting (seen under load)
      steps.awaitNextStep(() -> resumed.complete(steps.ticking()));
      return null;
    });
    assertThat(resumed.get(5, TimeUnit.SECONDS)).isTrue(); // the step after this finds nobody

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (onLoop(steps::ticking) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(onLoop(steps::ticking)).isFalse();
  }

  @Test
  void theStepIsOneTokenLongAtLeastOneMillisecond() {
    assertThat(new DecodeSteps(vertx, 100).stepNanos()).isEqualTo(10_000_000L);
    assertThat(new DecodeSteps(vertx, 5_000).stepNanos()).isEqualTo(1_000_000L);
  }

  private <T> T onLoop(Supplier<T> action) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    loop.runOnContext(v -> result.complete(action.get()));
    return result.get(5, TimeUnit.SECONDS);
  }
}
