// Spoken answers: the answer page records with MediaRecorder and uploads the recording to the API, which
// keeps it beside the typed answer; the review and results pages play it back and can delete it. The
// server checks the clock, the size and the format again: this file only keeps a learner within them.
(function () {
  "use strict";
  const {pageData, fill, csrfToken} = window.QuizApp;
  const T = pageData("recorder-strings");
  // Chromium records WebM, Firefox Ogg, Safari MP4: the first the browser can write. Opus at 24 kbit/s is
  // clear speech, and keeps a 20-minute answer under the server's 5 MiB.
  const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
  const BITS_PER_SECOND = 24000;
  const CHUNK_MS = 1000;

  function clockText(seconds) {
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  }

  async function send(url, method, body) {
    const response = await fetch(url, {method, body, credentials: "same-origin",
      headers: {Accept: "application/json", "X-CSRFToken": csrfToken()}});
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const messages = data && (data.detail ? [data.detail] : Object.values(data).flat());
      throw new Error(messages?.join(" ") || response.statusText);
    }
    return data;
  }

  function setUpRecorder(section) {
    const api = section.dataset.recordingApi;
    const maxBytes = Number(section.dataset.maxBytes);
    const controls = section.querySelector(".recorder-controls");
    const recordButton = section.querySelector("[data-record]");
    const stopButton = section.querySelector("[data-stop]");
    const deleteButton = section.querySelector("[data-delete]");
    const status = section.querySelector(".recorder-status");
    const player = section.querySelector("audio");
    const mimeType = window.MediaRecorder && TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    if (!navigator.mediaDevices?.getUserMedia || !mimeType) {
      status.textContent = T.unsupported;
      return;
    }
    controls.hidden = false;
    let recorder = null;
    let busy = false;  // recording, or saving a recording
    let finishing = Promise.resolve();  // the latest recording's upload

    function showRecording(recorded) {
      status.textContent = fill(T.saved, {time: clockText(recorded.seconds)});
      player.src = recorded.audio_url;  // a new address per recording: never the old one from the cache
      player.hidden = false;
      deleteButton.hidden = false;
      recordButton.textContent = T.record_again;
    }

    async function upload(chunks, seconds) {
      status.textContent = T.saving;
      const form = new FormData();
      form.append("audio", new Blob(chunks, {type: mimeType.split(";")[0]}), "answer");
      form.append("seconds", String(Math.max(0.1, seconds)));
      try {
        const recorded = await send(api, "PUT", form);
        showRecording({...recorded, audio_url: `${recorded.audio_url}?at=${Date.parse(recorded.recorded_at)}`});
      } catch (error) {
        status.textContent = fill(T.failed, {reason: error.message});
      }
    }

    async function start() {
      let stream;
      try {
        stream = await navigator.mediaDevices.getUserMedia({audio: true});
      } catch (error) {
        status.textContent = fill(T.no_microphone, {reason: error.message});
        return;
      }
      busy = true;
      const chunks = [];
      let bytes = 0;
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      recorder = new MediaRecorder(stream, {mimeType, audioBitsPerSecond: BITS_PER_SECOND});
      let ticking = null;
      finishing = new Promise((resolve) => {
        recorder.addEventListener("dataavailable", (event) => {
          chunks.push(event.data);
          bytes += event.data.size;
          // A chunk or two of room: stop before the server would refuse the whole recording.
          if (bytes > maxBytes - 4 * BITS_PER_SECOND * CHUNK_MS / 8000 && recorder.state === "recording") {
            recorder.stop();
            status.textContent = T.full;
          }
        });
        recorder.addEventListener("stop", async () => {
          clearInterval(ticking);
          stream.getTracks().forEach((track) => track.stop());
          recorder = null;
          recordButton.hidden = false;
          stopButton.hidden = true;
          await upload(chunks, elapsed());
          busy = false;
          resolve();
        }, {once: true});
      });
      recorder.start(CHUNK_MS);
      recordButton.hidden = true;
      stopButton.hidden = false;
      stopButton.focus();
      const tick = () => { status.textContent = fill(T.recording, {time: clockText(elapsed())}); };
      tick();
      ticking = setInterval(tick, 500);
    }

    // Whatever is being recorded is stopped and saved; resolves once the upload has an answer.
    function finish() {
      if (recorder?.state === "recording") recorder.stop();
      return finishing;
    }

    recordButton.addEventListener("click", start);
    stopButton.addEventListener("click", finish);
    deleteButton.addEventListener("click", async () => {
      await finish();
      try {
        await send(api, "DELETE");
        player.removeAttribute("src");
        player.hidden = true;
        deleteButton.hidden = true;
        recordButton.textContent = T.record;
        status.textContent = T.deleted;
      } catch (error) {
        status.textContent = fill(T.failed, {reason: error.message});
      }
    });

    // Moving on (a button, Ctrl+Enter, the clock) or ending the interview closes the question on the server:
    // the recording must be saved first. The submission waits for it, then goes ahead as the learner sent it.
    const page = section.closest("[data-interview-answer]");
    page.querySelectorAll("form").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        if (form.dataset.recordingSaved || !busy) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        await finish();
        form.dataset.recordingSaved = "1";
        form.requestSubmit(event.submitter);
      }, {capture: true});
    });
  }

  function setUpPlayer(player) {
    player.querySelector("[data-delete-recording]").addEventListener("click", async () => {
      try {
        await send(player.dataset.recordingApi, "DELETE");
        location.reload();  // the page's pre-ticks and scores follow the answers that are left
      } catch (error) {
        player.querySelector("p").textContent = fill(T.failed, {reason: error.message});
      }
    });
  }

  document.querySelectorAll("[data-recorder]").forEach(setUpRecorder);
  document.querySelectorAll(".spoken-answer-player").forEach(setUpPlayer);
})();
