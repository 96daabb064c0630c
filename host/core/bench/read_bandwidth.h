// The CPU's measured memory read bandwidth: the ceiling a decode step (which reads every weight
// byte once) is compared with by `kickhost bench kernels`.
#pragma once

namespace kick {

struct read_bandwidth {
  double bytes_per_s = 0;
  unsigned threads = 0;
};

// Sums a 1 GiB buffer (far beyond any cache) split over `threads` threads (0 = all hardware
// threads), five times; returns the fastest pass's bytes read per second.
read_bandwidth measure_read_bandwidth(unsigned threads = 0);

}  // namespace kick
