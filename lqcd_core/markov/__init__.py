"""Markov-chain updates: counter-based random numbers and heatbath/overrelaxation."""
from .heatbath import Heatbath
from .rng import CounterRNG, philox4x32

__all__ = ["Heatbath", "CounterRNG", "philox4x32"]
