"""funcgrad.scipy: scipy's names, traceable and differentiable. Import the submodules: funcgrad.scipy.linalg, funcgrad.scipy.special."""
