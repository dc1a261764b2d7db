"""Benchmarks of the simulator (not part of the installed package): `python -m bench`.

* `bench/run.py` (what `python -m bench` runs): seconds per design point, simpy events per second
  and peak memory for every zoo network.
* `bench/sweep_speed.py`: the 12-point ResNet-50 sweep in detail.
* `bench/train_speed.py`: the PACT trainer.
* `bench/batch_rules.py`: micro-batch choice rules on random points (not speed: how often each
  breaks a monotonicity; docs/model.md section 10).
"""
