package dev.thinkgate.audit.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The prompt sets ship in the jar, so the README's eval commands need no file outside the repo. */
class PromptSetsTest {
  @Test
  void builtInSetsAreReadByName() throws IOException {
    assertThat(EvalRunner.readPrompts(Path.of("advbench-sub"), "query", null)).hasSize(50);
    assertThat(EvalRunner.readPrompts(Path.of("xstest-safe.jsonl"), "query", null)).hasSize(250);
  }

  @Test
  void aMissingFileNamesTheBuiltInSets() {
    assertThatThrownBy(() -> EvalRunner.readPrompts(Path.of("no-such-set"), "query", null))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no such file").hasMessageContaining("advbench-sub, xstest-safe");
  }
}
