/**
 * Loaded into every chaincode process this runtime starts (by preload.cts, and by the pre-warmed
 * process before it becomes the chaincode): the process ends when the peer that started it is
 * gone. A peer killed with SIGKILL cannot stop its chaincodes, and a chaincode left behind keeps
 * logging into the closed pipe, failing, and logging that failure, without end.
 */
const parent = process.ppid;

function gone(): void {
  process.exit(0);
}

// Writing to the peer's end of the pipe fails once the peer has died.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') gone();
  });
}

// A silent chaincode writes nothing: notice being re-parented instead.
setInterval(() => {
  if (process.ppid !== parent) gone();
}, 1000).unref();
